"""A ``LabelSchema`` as a Label Studio label config (XML), and back.

The schema becomes one object tag showing the input column (``<Text>`` or ``<Image>``) and one ``<Choices>``
control with a ``<Choice>`` per label; the instructions are the project's ``expert_instruction``, which Label
Studio shows to annotators. Reading a config back accepts any config with exactly one ``<Choices>`` bound to a
``<Text>``, ``<HyperText>`` or ``<Image>`` tag, so that a project made in Label Studio's UI can be used too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from stackhub.categories.labeling import LabelSchema

__all__ = ["CONTROL", "OBJECT", "LabelConfig", "build_label_config", "parse_label_config"]

#: The names this plugin gives its tags: annotations and predictions refer to them (``from_name``/``to_name``).
CONTROL = "label"
OBJECT = "input"

#: What Label Studio's front end resolves in ``value="$name"``: word characters; a dot would mean a nested field.
INPUT_NAME = re.compile(r"^\w+$")

_OBJECT_TAGS = {"text": "Text", "image_url": "Image"}
_INPUT_TYPES = {"Text": "text", "HyperText": "text", "Image": "image_url"}


@dataclass(frozen=True)
class LabelConfig:
    """What a project's label config says: its schema (without instructions) and the names of its two tags."""

    input: str
    input_type: str
    labels: tuple[str, ...]
    choice: str
    control: str
    object: str

    def schema(self, instructions: str) -> LabelSchema:
        return LabelSchema.model_validate(
            {
                "input": self.input,
                "input_type": self.input_type,
                "labels": self.labels,
                "choice": self.choice,
                "instructions": instructions,
            }
        )


def build_label_config(schema: LabelSchema) -> str:
    """The label config XML of ``schema``; ElementTree escapes every label."""
    view = ET.Element("View")
    ET.SubElement(view, _OBJECT_TAGS[schema.input_type], name=OBJECT, value=f"${schema.input}")
    choices = ET.SubElement(view, "Choices", name=CONTROL, toName=OBJECT, choice=schema.choice, showInline="true")
    for label in schema.labels:
        ET.SubElement(choices, "Choice", value=label)
    return ET.tostring(view, encoding="unicode")


def parse_label_config(xml: str) -> LabelConfig:
    """Read a label config; ``ValueError`` says why it is not one this plugin can work with."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"its label config is not valid XML ({exc})") from None
    controls = list(root.iter("Choices"))
    if len(controls) != 1:
        raise ValueError(f"its label config has {len(controls)} <Choices> tags, not exactly one")
    control = controls[0]
    target = control.get("toName", "")
    objects = {tag.get("name"): tag for tag in root.iter() if tag.tag in _INPUT_TYPES}
    shown = objects.get(target)
    value = shown.get("value", "") if shown is not None else ""
    if shown is None or not value.startswith("$") or not INPUT_NAME.match(value[1:]):
        raise ValueError(
            f"its <Choices> is bound to {target!r}, which is not a <Text>, <HyperText> or <Image> tag showing "
            "one task field ($name)"
        )
    # An alias, when a <Choice> has one, is what Label Studio writes into results instead of the value.
    labels = tuple(c.get("alias") or c.get("value") or "" for c in control.iter("Choice"))
    if not labels or not all(labels):
        raise ValueError("its <Choices> has no labels, or a <Choice> without a value")
    mode = control.get("choice", "single")
    if mode not in ("single", "single-radio", "multiple"):
        raise ValueError(f"its <Choices> has choice={mode!r}")
    return LabelConfig(
        input=value[1:],
        input_type=_INPUT_TYPES[shown.tag],
        labels=labels,
        choice="multiple" if mode == "multiple" else "single",
        control=control.get("name", ""),
        object=target,
    )
