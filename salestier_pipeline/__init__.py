"""SalesTier: tiered sales management (销售分层管理) from CRM exports."""

__version__ = "0.1.0"
