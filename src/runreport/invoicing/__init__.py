"""Invoicing of the member municipalities' contributions (kommunbidrag) as Peppol BIS Billing 3.0.

``issue.prepare_invoices`` plans and records invoices/credit notes (status ``prepared``),
``issue.release_invoices`` copies them to the outbox after approval, ``issue.reject_invoices``
marks them rejected.
"""
