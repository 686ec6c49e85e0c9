"""Incentive definitions and rates."""

from fastapi import APIRouter

router = APIRouter()
