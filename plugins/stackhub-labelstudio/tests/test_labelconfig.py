"""The label config a schema becomes, and what is read back from configs made elsewhere (no server needed)."""

from __future__ import annotations

import pytest
from stackhub.categories.labeling import LabelSchema
from stackhub_labelstudio._labelconfig import CONTROL, OBJECT, build_label_config, parse_label_config


@pytest.mark.parametrize(
    "schema",
    [
        LabelSchema(input="text", labels=("positive", "negative")),
        LabelSchema(input="review_2", labels=("a & b", "<tag>", 'say "hi"', "ünïcödé 🦆"), choice="multiple"),
        LabelSchema(input="photo", input_type="image_url", labels=("cat", "dog")),
    ],
    ids=["single", "escaped_multiple", "image"],
)
def test_a_schema_round_trips_through_its_label_config(schema: LabelSchema) -> None:
    parsed = parse_label_config(build_label_config(schema))
    assert parsed.schema("") == schema
    assert (parsed.control, parsed.object) == (CONTROL, OBJECT)


def test_the_label_config_is_what_label_studio_documents() -> None:
    xml = build_label_config(LabelSchema(input="text", labels=("yes", "no")))
    assert xml == (
        '<View><Text name="input" value="$text" /><Choices name="label" toName="input" choice="single" '
        'showInline="true"><Choice value="yes" /><Choice value="no" /></Choices></View>'
    )


def test_a_config_made_in_the_ui_is_read_with_its_own_tag_names_and_aliases() -> None:
    xml = """
    <View>
      <Header value="Pick one"/>
      <HyperText name="page" value="$html"/>
      <Choices name="sentiment" toName="page" choice="single-radio">
        <Choice value="Positive" alias="pos"/>
        <Choice value="Negative"/>
      </Choices>
    </View>"""
    parsed = parse_label_config(xml)
    assert (parsed.input, parsed.input_type, parsed.choice) == ("html", "text", "single")
    assert parsed.labels == ("pos", "Negative")  # an alias is what Label Studio writes into results
    assert (parsed.control, parsed.object) == ("sentiment", "page")


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<View", "not valid XML"),
        ('<View><Text name="t" value="$t"/></View>', "0 <Choices> tags"),
        (
            '<View><Text name="t" value="$t"/><Choices name="a" toName="t"><Choice value="x"/></Choices>'
            '<Choices name="b" toName="t"><Choice value="y"/></Choices></View>',
            "2 <Choices> tags",
        ),
        ('<View><Choices name="a" toName="t"><Choice value="x"/></Choices></View>', "bound to 't'"),
        (
            '<View><Text name="t" value="$a.b"/><Choices name="c" toName="t"><Choice value="x"/></Choices></View>',
            "$name",
        ),
        ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"/></View>', "no labels"),
        (
            '<View><Text name="t" value="$t"/><Choices name="c" toName="t" choice="tree"><Choice value="x"/>'
            "</Choices></View>",
            "choice='tree'",
        ),
    ],
    ids=["broken_xml", "no_choices", "two_choices", "unbound", "nested_field", "no_labels", "unknown_mode"],
)
def test_configs_that_are_no_label_schema_are_refused_with_the_reason(xml: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("$", r"\$").replace("(", r"\(")):
        parse_label_config(xml)
