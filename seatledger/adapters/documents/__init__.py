"""Invoice documents as files: UBL 2.1 for Peppol BIS Billing 3.0 (lxml) and the PDF a person
reads, with its proof annex (reportlab), both rendered from one ``LegalDocument``."""
