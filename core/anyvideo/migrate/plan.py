"""The settings plan: what an account's settings become on another provider,
what would be lost, and what is left to the application.

The source backend reads its account's settings (``read_settings``); the
target says how it takes each one (``plan_setting``: applied through its API,
done by hand, or not possible) and applies what it can (``apply_setting``,
idempotently). The features the source has and the target lacks come from
their declared capability sets, each with the target's one-sentence reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from anyvideo.accounts import Action, Setting, Step
from anyvideo.backend import Backend, Feature

__all__ = ["Action", "MigrationPlan", "Setting", "Step", "apply_plan", "make_plan"]


@attrs.frozen
class MigrationPlan:
    """A whole plan: the steps, the features lost, and the code changes left to the app."""

    source: str
    target: str
    steps: tuple[Step, ...]
    lost: Mapping[str, str]  # feature → the target's reason
    code_changes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "settings": [
                {
                    "kind": step.setting.kind,
                    "name": step.setting.name,
                    "source": dict(step.setting.value),
                    "action": step.action.value,
                    "target": step.target,
                    "consequence": step.consequence,
                    "change": dict(step.change),
                }
                for step in self.steps
            ],
            "lost_features": dict(self.lost),
            "code_changes": list(self.code_changes),
        }


def make_plan(source: Backend, target: Backend) -> MigrationPlan:
    """Read ``source``'s settings and plan them onto ``target``; nothing is changed."""
    steps = tuple(target.plan_setting(setting) for setting in source.read_settings())
    lost = {
        feature.value: target.feature_hints.get(feature, f"{target.name} does not offer it")
        for feature in Feature
        if feature in source.features and feature not in target.features
    }
    changes = [f"load {target.client_sdk} in the browser and apps, instead of {source.client_sdk}"]
    if lost:
        changes.append(
            f"calls that use {', '.join(lost)} raise UnsupportedFeature on {target.name}:"
            " run your tests there to find them"
        )
    changes += [
        f"{step.setting.kind} {step.setting.name!r}: {step.target}" for step in steps if step.action is Action.MANUAL
    ]
    return MigrationPlan(source.name, target.name, steps, lost, tuple(changes))


def apply_plan(plan: MigrationPlan, target: Backend) -> list[Step]:
    """Apply the plan's ``apply`` steps to ``target``; returns those that changed something.

    Each step is idempotent: applying a plan twice changes nothing the second time.
    """
    if plan.target != target.name:
        raise ValueError(f"the plan is for {plan.target}, not {target.name}")
    return [step for step in plan.steps if step.action is Action.APPLY and target.apply_setting(step)]
