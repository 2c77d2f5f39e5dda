"""Models come with the indicators and dashboards issue."""
