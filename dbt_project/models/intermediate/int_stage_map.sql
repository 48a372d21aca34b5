-- The stage map in force: seed stage_map plus the `stages:` user profiles declare (seed wins).
{{ map_in_force('stage_map', 'stage', 'stage_raw', ['stage', 'is_won', 'is_lost', 'default_probability']) }}
