"""Metrics and the KPI dashboard: public metrics of published posts (1 h, 24 h, 7 days after
publishing), channels' follower counts (daily), and the charts built from those stored rows."""
