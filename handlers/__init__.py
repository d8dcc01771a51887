"""Conversation logic shared by every channel; knows no messenger."""
