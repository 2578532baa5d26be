"""Operations that change state: one transaction each, safe to call twice."""
