-- The module checkout system's own tables, as its DDL defines them
-- (reference/checkout-system.md). Created only where absent: a database that
-- the checkout system created first is left exactly as it is.
CREATE TABLE IF NOT EXISTS module_checkouts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id VARCHAR(20) NOT NULL,
    checked_out_by VARCHAR(100) NOT NULL,
    checked_out_by_email VARCHAR(255) NOT NULL,
    checkout_date TIMESTAMP DEFAULT NOW(),
    estimated_completion_date TIMESTAMP NOT NULL,
    actual_completion_date TIMESTAMP,
    checkout_reason TEXT,
    status VARCHAR(20) DEFAULT 'active',
    progress_percentage INTEGER DEFAULT 0 CHECK (progress_percentage >= 0 AND progress_percentage <= 100),
    last_progress_update TIMESTAMP DEFAULT NOW(),
    blocking_issues TEXT[],
    notes TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS checkout_notifications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    checkout_id UUID NOT NULL REFERENCES module_checkouts(id),
    notification_type VARCHAR(50) NOT NULL,
    recipient_email VARCHAR(255) NOT NULL,
    message TEXT NOT NULL,
    sent_at TIMESTAMP DEFAULT NOW(),
    delivery_status VARCHAR(20) DEFAULT 'pending'
);

CREATE TABLE IF NOT EXISTS module_dependencies (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id VARCHAR(20) NOT NULL,
    depends_on_module_id VARCHAR(20) NOT NULL,
    dependency_type VARCHAR(50) NOT NULL,
    is_critical BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_module_checkouts_active ON module_checkouts(module_id, status) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS idx_module_checkouts_developer ON module_checkouts(checked_out_by, status);
CREATE INDEX IF NOT EXISTS idx_checkout_notifications_pending ON checkout_notifications(delivery_status) WHERE delivery_status = 'pending';
