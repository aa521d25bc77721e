"""Interfaces for people and programs: CLI, HTTP API, web workspace and reports."""
