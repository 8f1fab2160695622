"""Validation: is a newly registered version fit to compete for production?"""
