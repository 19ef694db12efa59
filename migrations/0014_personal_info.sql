-- Apple Rewards Enrollment: what a holder typed into Wallet's sign-up form
-- (requiredPersonalizationInfo, JSON text), kept with their user and
-- erased with it (DELETE /v1/users/{id}).

ALTER TABLE users ADD COLUMN personal_info TEXT;
