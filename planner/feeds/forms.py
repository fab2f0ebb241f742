from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from planner.models import Category
from planner.posts.forms import ChannelChoiceField


class FeedForm(forms.Form):
    url = forms.CharField(max_length=500, label="Feed address (RSS or Atom)")
    channels = ChannelChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Drafts on"
    )
    category = forms.ChoiceField(choices=Category.choices, initial=Category.NEWS)

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels
        self.helper = FormHelper()
        self.helper.add_input(Submit("add", "Add the feed"))
