-- Migration 7: every story and saved scenario has an owner, the areas it covers and the areas it
-- is published to (read-only). Names are unique per owner. Released: never edit; add a new
-- numbered file instead.
--
-- Existing rows: the owner is the user who created the row, or failing that the first user the
-- audit log records saving it; they cover every area ('all') and are published to nobody.

CREATE TABLE wb.stories_owned (
            owner VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            summary VARCHAR,
            blocks JSON NOT NULL,
            areas JSON NOT NULL DEFAULT '["all"]',
            audience JSON NOT NULL DEFAULT '[]',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR,
            revision INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (owner, name)
        );

INSERT INTO wb.stories_owned (owner, name, title, summary, blocks, areas, audience, created_at,
            created_by, updated_at, updated_by, revision)
        SELECT coalesce(
                s.created_by,
                (SELECT a.actor FROM wb.audit_log a
                  WHERE a.action = 'story.save' AND a.target = s.name ORDER BY a.id LIMIT 1),
                'unknown'),
            s.name, s.title, s.summary, s.blocks, '["all"]', '[]', s.created_at, s.created_by,
            s.updated_at, s.updated_by, s.revision
        FROM wb.stories s;

DROP TABLE wb.stories;

ALTER TABLE wb.stories_owned RENAME TO stories;

CREATE TABLE wb.forecast_scenarios_owned (
            owner VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            area VARCHAR NOT NULL,
            court_type VARCHAR NOT NULL,
            freq VARCHAR NOT NULL,
            horizon INTEGER NOT NULL,
            charge_change_pct DOUBLE NOT NULL,
            change_from DATE,
            capacity_per_week DOUBLE,
            areas JSON NOT NULL DEFAULT '["all"]',
            audience JSON NOT NULL DEFAULT '[]',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            projection JSON NOT NULL,
            PRIMARY KEY (owner, name)
        );

INSERT INTO wb.forecast_scenarios_owned (owner, name, area, court_type, freq, horizon,
            charge_change_pct, change_from, capacity_per_week, areas, audience, created_at,
            created_by, projection)
        SELECT coalesce(
                f.created_by,
                (SELECT a.actor FROM wb.audit_log a
                  WHERE a.action = 'forecast.scenario.save' AND a.target = f.name
                  ORDER BY a.id LIMIT 1),
                'unknown'),
            f.name, f.area, f.court_type, f.freq, f.horizon, f.charge_change_pct, f.change_from,
            f.capacity_per_week, '["all"]', '[]', f.created_at, f.created_by, f.projection
        FROM wb.forecast_scenarios f;

DROP TABLE wb.forecast_scenarios;

ALTER TABLE wb.forecast_scenarios_owned RENAME TO forecast_scenarios;
