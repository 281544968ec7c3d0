"""The example blog (app.py); see README.md."""
