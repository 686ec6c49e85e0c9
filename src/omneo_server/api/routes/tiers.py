"""Tier points, a profile's tier, and achievements."""

from fastapi import APIRouter

router = APIRouter()
