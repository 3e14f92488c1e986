"""Reminders as rows in the database, found by one repeating job (see `reminders`)."""
