"""HTTP routers of the knowledge service (its resources arrive with their issues)."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
