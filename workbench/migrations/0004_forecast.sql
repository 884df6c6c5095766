-- Migration 4: demand forecasts. Released: never edit; add a new numbered file instead.

-- Saved what-if scenarios: the settings and the projection they produced (JSON, split orient).
CREATE TABLE wb.forecast_scenarios (
            name VARCHAR PRIMARY KEY,
            area VARCHAR NOT NULL,
            court_type VARCHAR NOT NULL,
            freq VARCHAR NOT NULL,
            horizon INTEGER NOT NULL,
            charge_change_pct DOUBLE NOT NULL,
            change_from DATE,
            capacity_per_week DOUBLE,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            projection JSON NOT NULL
        );

-- Fitted forecasts and backtests, keyed by a fingerprint of the series and the settings.
CREATE TABLE wb.forecast_cache (
            key VARCHAR PRIMARY KEY,
            created_at TIMESTAMP NOT NULL,
            forecasts JSON NOT NULL,
            metrics JSON NOT NULL
        );
