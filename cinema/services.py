"""Operations on the catalogue: one transaction each."""

import string

from django.db import transaction

from .models import Auditorium, Seat


def row_letters(index):
    """0 -> A, 25 -> Z, 26 -> AA: rows beyond Z keep sorting after it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


@transaction.atomic
def create_auditorium(*, name, rows, seats_per_row):
    """The auditorium and its seat grid: rows A, B, …; seats numbered from 1."""
    auditorium = Auditorium.objects.create(name=name, rows=rows, seats_per_row=seats_per_row)
    seats = []
    for r in range(rows):
        row = row_letters(r)
        for number in range(1, seats_per_row + 1):
            seats.append(
                Seat(auditorium=auditorium, row=row, row_index=r, number=number, label=f"{row}{number}")
            )
    Seat.objects.bulk_create(seats, batch_size=1000)
    return auditorium
