"""The only package that speaks SQL: models, migrations, and the queries the rest of the app uses."""
