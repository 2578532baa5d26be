"""Forms of the site: sign-up, and the seat ids a hold is asked for."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class SignUpForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), required=True)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "first_name")
        labels = {"first_name": _("First name")}

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Sign in instead?"))
        return email

    def save(self, commit=True):
        user = super().save(commit=False)
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        if language in dict(settings.LANGUAGES):
            user.language = language
        if commit:
            user.save()
        return user


def seat_ids_from(data, key="seats"):
    """Seat ids of a query string or form ("seats=3&seats=4" or "seats=3,4"), in order, once each.

    Anything that is not a positive integer is dropped: the hold service judges the rest."""
    ids = []
    for raw in data.getlist(key):
        for part in str(raw).split(","):
            part = part.strip()
            if part.isdigit() and int(part) > 0 and int(part) not in ids:
                ids.append(int(part))
    return ids[: max(settings.MAX_SEATS_PER_BOOKING * 4, 40)]
