"""Flask-AppBuilder's generic add and edit forms, with the write done by the model's service.

FAB's own ``_add`` / ``_edit`` fill the model from the form and commit it themselves
(``SQLAInterface.add/edit``), past every rule a service holds. A view that mixes in
``ServiceForms`` keeps FAB's form (its fields, widgets and WTForms checks of the input's shape)
but hands the form's data to ``create_with`` / ``update_with``, which call the service: it
validates, writes and commits in one unit of work. A refusal rolls back, flashes the French
message and shows the form again with what was typed.
"""
from __future__ import annotations

from flask import abort, flash, request
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args

from app.extensions import db
from core.errors import DomainError


class ServiceForms:
    """Mix in before ``ModelView``; implement ``create_with`` when the view adds, ``update_with``
    when it edits."""

    def create_with(self, session, data: dict):
        """Create the object from the add form's ``data`` (column → value) through its service;
        return it."""
        raise NotImplementedError

    def update_with(self, session, item, data: dict) -> None:
        """Apply the edit form's ``data`` to ``item`` through its service."""
        raise NotImplementedError

    @staticmethod
    def form_data(form, columns: list[str]) -> dict:
        return {column: form[column].data for column in columns if column in form}

    def _refused(self, exc: DomainError) -> None:
        db.session.rollback()
        flash(exc.message, "danger")

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                try:
                    item = self.create_with(db.session, self.form_data(form, self.add_columns))
                except DomainError as exc:
                    self._refused(exc)
                else:
                    self.post_add(item)
                    flash(self.add_row_message, "success")
                    return None
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                try:
                    self.update_with(db.session, item, self.form_data(form, self.edit_columns))
                except DomainError as exc:
                    self._refused(exc)
                else:
                    self.post_update(item)
                    flash(self.edit_row_message, "success")
                    return None
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(item, filters={}, orders=get_order_args(), pages=get_page_args(),
                                               page_sizes=get_page_size_args(), widgets=widgets)
