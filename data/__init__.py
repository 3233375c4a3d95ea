"""The inside of CardCharts: domain, repositories (all SQL), cache and use cases."""
