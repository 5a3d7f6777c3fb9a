"""Flask-AppBuilder's list pages at a national scale (issue 18).

* ``ListInterface``: FAB's ``SQLAInterface`` whose list reads a page from the nearer end of the
  list (``core.paging.window``: the last page of a million devices is the first page in the
  reverse order) and loads what the rows show with the page, in one statement or one more per
  collection shown: no query per row.
* Relations in search forms are a text field, not a list of every collection or location: the
  reference or code typed (``COL-2026-0012``, ``LOC-LAM-A01``, an INSEE code…) is the filter's
  value, and ``app/static/js/autocomplete.js`` suggests values as one types, from a small JSON
  endpoint of the list's own view (``/<list>/autocomplete/<relation>``, with the list's
  permission). Without the script, typing the code works the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, jsonify, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.filters import FilterRelation
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, inspect, or_, select
from sqlalchemy.orm import joinedload, selectinload, undefer
from sqlalchemy.orm.properties import ColumnProperty
from wtforms import StringField

from app.errors import refusal_page
from app.extensions import db
from core.lookups import commune_suggestions, epci_suggestions, organisation_suggestions
from core.organisations import Organisation
from core.paging import window
from core.territory import Commune, Epci
from inventory.models import Collection, Location, Site
from inventory.queries import collection_suggestions, location_suggestions, site_suggestions

SUGGESTIONS = 10
# The longest code or name a search field compares (an organisation's name, an EPCI's official
# name: 200 characters); a longer text names nothing.
TYPED_MAX = 200
MAX_PAGE_SIZE = 100     # the largest of Flask-AppBuilder's page-size menu (25, 50, 75, 100)
SEARCH_TOO_LONG = f"Recherche : {TYPED_MAX} caractères au plus par champ."
PAGE_NOT_A_NUMBER = "Numéro ou taille de page : nombre entier attendu."


@dataclass(frozen=True)
class Lookup:
    """How a record is named in a search field: ``names`` (the typed text → a condition on the
    record's table) and ``suggest`` (session, text, limit → [(value, label)])."""
    names: Callable[[str], object]
    suggest: Callable
    hint: str


def _code(column):
    return lambda text: column == text.strip().upper()


LOOKUPS: dict[type, Lookup] = {
    Collection: Lookup(_code(Collection.reference), collection_suggestions, _l("Reference (COL-…)")),
    Location: Lookup(_code(Location.code), location_suggestions, _l("Code (LOC-…)")),
    Site: Lookup(lambda text: or_(Site.code == text.strip().upper(), func.lower(Site.name) == text.strip().lower()),
                 site_suggestions, _l("Code or name")),
    Organisation: Lookup(lambda text: or_(func.lower(Organisation.name) == text.strip().lower(),
                                          Organisation.siret == "".join(text.split())),
                         organisation_suggestions, _l("Name or SIRET")),
    Commune: Lookup(lambda text: or_(Commune.insee_code == text.strip(),
                                     func.lower(Commune.name) == text.strip().lower()),
                    commune_suggestions, _l("Name or INSEE code")),
    Epci: Lookup(lambda text: func.lower(Epci.short_name) == text.strip().lower(), epci_suggestions, _l("Name")),
}


def _names(datamodel, column_name: str, value):
    """``fk IN (the related rows that ``value`` names)`` for a many-to-one relation."""
    related = datamodel.get_related_model(column_name)
    lookup = LOOKUPS[related]
    (fk,) = getattr(datamodel.obj, column_name).property.local_columns
    (pk,) = inspect(related).primary_key
    text = str(value or "")
    return fk.in_(select(pk).where(lookup.names(text) if len(text.strip()) <= TYPED_MAX else false()))


class FilterRelationNamed(FilterRelation):
    """The relation is the record whose reference or code (``Lookup.names``) was typed."""
    name = _l("Is")
    arg_name = "rel_named"

    def apply(self, query, value):
        return query.filter(_names(self.datamodel, self.column_name, value))


class FilterRelationNotNamed(FilterRelation):
    name = _l("Is not")
    arg_name = "nrel_named"

    def apply(self, query, value):
        clause = _names(self.datamodel, self.column_name, value)
        (fk,) = getattr(self.datamodel.obj, self.column_name).property.local_columns
        return query.filter(or_(~clause, fk.is_(None)))


class NamedRelationConverter(SQLAFilterConverter):
    """FAB's filters, but a many-to-one relation to a record in ``LOOKUPS`` is filtered by its
    code (FAB's own relation filter takes a primary key from a list of every row)."""

    def convert(self, col_name):
        datamodel = self.datamodel
        if (datamodel.is_relation_many_to_one(col_name) or datamodel.is_relation_one_to_one(col_name)) \
                and datamodel.get_related_model(col_name) in LOOKUPS:
            return [FilterRelationNamed(col_name, datamodel), FilterRelationNotNamed(col_name, datamodel)]
        return super().convert(col_name)


class ListInterface(SQLAInterface):
    """``SQLAInterface`` for list pages: pages read from the nearer end, rows loaded with what
    they show (``list_options``, set by ``ListPages``)."""

    filter_converter_class = NamedRelationConverter
    list_options: tuple = ()

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        if not page_size or select_columns:
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        base = self.session.query(self.obj)
        count = self.query_count(base, filters)
        _, offset, rows, backwards = window(count, (page or 0) + 1, page_size)
        if rows == 0:
            return count, []
        if not order_column:          # FAB then leaves the order to the database: not one page from each end
            order_column, order_direction = self.get_pk_name(), "asc"
        direction = "asc" if order_direction == "asc" else "desc"       # as FAB reads it
        if backwards:
            direction = "desc" if direction == "asc" else "asc"
        query = self.apply_all(base, filters, order_column, direction).options(*self.list_options)
        found = query.offset(offset).limit(rows).all()
        return count, found[::-1] if backwards else found


def row_options(datamodel: SQLAInterface, columns) -> list:
    """Loader options for what ``columns`` of a list show: relations with their rows (a join for
    one, a second statement for many), deferred columns with the row."""
    model = datamodel.obj
    options = []
    for column in columns:
        attribute = getattr(model, column, None)
        prop = getattr(attribute, "property", None)
        if datamodel.is_relation_many_to_one(column) or datamodel.is_relation_one_to_one(column):
            options.append(joinedload(attribute))
        elif datamodel.is_relation(column):
            options.append(selectinload(attribute))
        elif isinstance(prop, ColumnProperty) and prop.deferred:
            options.append(undefer(attribute))
    return options


def paging_arguments_hold() -> bool:
    """Whether every page and page-size argument of the query is a number: Flask-AppBuilder reads
    each argument whose name holds ``page_`` or ``psize_`` with ``int()`` (``urltools``), and
    answered 500 for ``?page_DeviceView=x``."""
    for key, value in request.args.items(multi=True):
        if "page_" in key or "psize_" in key:
            try:
                int(value)
            except ValueError:
                return False
    return True


def refuse_long_search(*texts: str) -> None:
    """Abort with the French 400 page when a searched text is longer than any code or name
    (``TYPED_MAX``): SQLite refuses a LIKE pattern of more than 50,000 bytes (a 500), and no
    search needs more."""
    if any(len(text) > TYPED_MAX for text in texts):
        abort(refusal_page(400, SEARCH_TOO_LONG))


class ListPages:
    """Mix in before ``ModelView`` (whose ``datamodel`` is a ``ListInterface``): the rows of a page
    come with what they show (``list_load`` adds options for what ``list_columns`` cannot tell,
    such as a property reading a relation), and every relation in ``search_columns`` that
    ``LOOKUPS`` knows is a text field with suggestions.

    What the address asks for is bounded as the page offers it: a list is sorted only by one of
    its ``order_columns`` (those an index serves from either end; any other column, or a dotted
    path, gives the list's own order), a page holds at most ``MAX_PAGE_SIZE`` rows, and a page
    argument that is not a number, or a searched text longer than any name, is answered 400 in
    French."""

    list_load: tuple = ()

    def __init__(self, **kwargs):
        datamodel = self.datamodel
        searched = self.search_columns or datamodel.get_search_columns_list()
        self._lookups = {column: LOOKUPS[datamodel.get_related_model(column)] for column in searched
                         if (datamodel.is_relation_many_to_one(column) or datamodel.is_relation_one_to_one(column))
                         and datamodel.get_related_model(column) in LOOKUPS}
        fields = {column: lookup_field(self.label_columns.get(column, column), lookup,
                                       f"{self.route_base}/autocomplete/{column}")
                  for column, lookup in self._lookups.items()}
        self.search_form_extra_fields = {**fields, **(self.search_form_extra_fields or {})}
        super().__init__(**kwargs)
        datamodel.list_options = (*row_options(datamodel, self.list_columns), *self.list_load)

    def _list(self, **kwargs):
        if not paging_arguments_hold():
            abort(refusal_page(400, PAGE_NOT_A_NUMBER))
        refuse_long_search(*(value for key, values in request.args.lists() if key.startswith("_flt_")
                             for value in values))
        return super()._list(**kwargs)

    def _show(self, pk):
        if not paging_arguments_hold():
            abort(refusal_page(400, PAGE_NOT_A_NUMBER))
        return super()._show(pk)

    def _edit(self, pk):
        if not paging_arguments_hold():
            abort(refusal_page(400, PAGE_NOT_A_NUMBER))
        return super()._edit(pk)

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="", page=None,
                         page_size=None, widgets=None, **kwargs):
        # FAB sorts by any attribute the address names (?_oc_DeviceView=brand: a sort of every
        # device no index serves; a dotted path: 500), and reads as many rows as ?psize_ asks.
        if order_column not in self.order_columns:
            order_column, order_direction = "", ""
        if not page_size or page_size < 1:
            page_size = self.page_size
        return super()._get_list_widget(filters, actions=actions, order_column=order_column,
                                        order_direction=order_direction, page=page,
                                        page_size=min(page_size, MAX_PAGE_SIZE), widgets=widgets, **kwargs)

    @expose("/autocomplete/<relation>")
    @has_access
    @permission_name("list")
    def autocomplete(self, relation: str):
        """Suggestions for the search field of ``relation``: [{value, label}], at most ten; a
        relation without suggestions is 404, in JSON."""
        lookup = self._lookups.get(relation)
        if lookup is None:
            return _refused(404, "Ce champ de recherche ne propose pas de suggestions.")
        return suggestions(lookup)


def _refused(status: int, message: str):
    """An autocomplete endpoint's refusal: JSON, in French, like the API's."""
    answer = jsonify(message=message)
    answer.status_code = status
    return answer


def suggestions(lookup: Lookup):
    """The JSON answer of an autocomplete endpoint, for the text typed (``?q=``): at most
    ``SUGGESTIONS`` rows; a text longer than any code or name (``TYPED_MAX``) is refused (400)
    before any query."""
    text = (request.args.get("q") or "").strip()
    if len(text) > TYPED_MAX:
        return _refused(400, f"Texte cherché : {TYPED_MAX} caractères au plus.")
    rows = lookup.suggest(db.session, text, SUGGESTIONS) if text else []
    return jsonify([{"value": value, "label": label} for value, label in rows])


def lookup_field(label, lookup: Lookup, url: str) -> StringField:
    """A search field that names a record by its code, with suggestions from ``url``."""
    return StringField(label, render_kw={"data-autocomplete": url, "autocomplete": "off", "aria-label": label,
                                         "placeholder": lookup.hint, "class": "form-control"})
