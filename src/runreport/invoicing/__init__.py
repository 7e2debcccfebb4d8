"""Invoicing of the member municipalities' contributions (kommunbidrag) as Peppol BIS Billing 3.0.

``issue.prepare_invoices`` plans drafts (draft ids, status ``prepared``) and credit notes;
``release.release_invoices`` numbers the approved drafts in an unbroken series, checks them against
the Peppol rules and hands them over in the outbox with a manifest; ``release.reject_invoices``
marks drafts rejected with finance's reason. ``approval_text`` is what finance reads before deciding.
"""
