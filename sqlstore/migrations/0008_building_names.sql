-- Open311's address_string is matched against the names of current
-- buildings: (name, level) lets the lookup read only the names asked for,
-- where the index on (level, code) would read every building of the city.
CREATE INDEX areas_current_name ON areas (name, level) WHERE valid_to IS NULL;
