"""Files the dashboard keeps outside the database (inspection photos)."""
