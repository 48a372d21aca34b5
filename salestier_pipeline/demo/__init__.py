"""Deterministic generator of realistic Zoho and Fxiaoke CRM exports (the demo landing zone)."""

from salestier_pipeline.demo.generate import generate_demo

__all__ = ["generate_demo"]
