-- The deal-status map in force: seed status_map plus the `statuses:` user profiles declare (seed wins).
{{ map_in_force('status_map', 'status', 'status_raw', ['is_won', 'is_lost', 'is_void']) }}
