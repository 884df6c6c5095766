"""Journeys and what they show: attrition, timeliness, dashboard views, headlines, charts."""
