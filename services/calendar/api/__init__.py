"""HTTP routers of the calendar service (its resources arrive with their issues)."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
