"""The /me representation: the provider owns identity fields, the user owns their preferences."""

from rest_framework import serializers

from .models import User
from .services import update_preferences

WRITABLE_FIELDS = ("marketing_opt_in", "language")


class MeSerializer(serializers.ModelSerializer):
    language = serializers.ChoiceField(
        choices=User.Language.choices,
        error_messages={"invalid_choice": '"{input}" is not a supported language; use "en" or "vi".'},
    )

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "marketing_opt_in", "language")
        read_only_fields = ("id", "email", "first_name", "last_name")

    def validate(self, attrs):
        """Refuse (400) rather than silently drop any field the user may not change here."""
        refused = sorted(set(self.initial_data) - set(WRITABLE_FIELDS)) if isinstance(self.initial_data, dict) else []
        if refused:
            raise serializers.ValidationError(
                {
                    name: [
                        serializers.ErrorDetail(
                            "This field cannot be changed here; only marketing_opt_in and language can.",
                            code="read_only",
                        )
                    ]
                    for name in refused
                }
            )
        return attrs

    def update(self, instance, validated_data):
        return update_preferences(instance, **validated_data)
