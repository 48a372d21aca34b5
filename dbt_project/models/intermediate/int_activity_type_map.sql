-- The activity-type map in force: seed activity_type_map plus the `activity_types:` user profiles declare (seed wins).
{{ map_in_force('activity_type_map', 'activity_type', 'activity_type_raw', ['activity_type']) }}
