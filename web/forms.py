"""Forms of the site: sign-up, and the seat ids a hold is asked for."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.services import is_reserved_username, sign_up


class SignUpForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), required=True)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "first_name")
        labels = {"first_name": _("First name")}

    def clean_username(self):
        username = super().clean_username()
        if is_reserved_username(username):
            raise forms.ValidationError(_("This username is not available. Please choose another."))
        return username

    def clean_email(self):
        # Never "already registered" here: that would tell anyone which addresses have accounts.
        # accounts.services.sign_up handles a known address by email instead.
        return self.cleaned_data["email"].strip()

    def sign_up(self):
        """The new user, or None when the address was already registered (see services.sign_up)."""
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        return sign_up(
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
            first_name=self.cleaned_data.get("first_name", ""),
            language=language if language in dict(settings.LANGUAGES) else None,
        )


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
