"""Rewards, points, credits and benefits as issued, balances, ledgers and redemptions."""

from fastapi import APIRouter

router = APIRouter()
