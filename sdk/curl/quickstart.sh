#!/usr/bin/env bash
# The README's curl quick start, word for word between the markers. The
# Python suite (sdk/python/tests/test_quickstart.py) runs it against a real
# `passforge serve` with PASSFORGE_URL, ADMIN_KEY, API_KEY and WEBHOOK_URL
# set, checks what it made, and checks that the README still says the same.
# Prints the pass id and the webhook secret.
set -euo pipefail
: "${PASSFORGE_URL:?}" "${ADMIN_KEY:?}" "${API_KEY:?}" "${WEBHOOK_URL:?}"
exec 3>&1 1>/dev/null

# quickstart:begin
# 1. A template from JSON (admin key): 201 with its id, vip-event-ticket
curl -sS --fail-with-body -H "X-API-Key: $ADMIN_KEY" -H 'content-type: application/json' \
  "$PASSFORGE_URL/v1/templates" -d '{
    "name": "VIP Event Ticket", "passType": "eventTicket", "organizationName": "Passforge Live",
    "description": "VIP entry", "logoText": "Passforge Live",
    "backgroundColor": "#1f2937", "foregroundColor": "#ffffff", "labelColor": "#9ca3af",
    "fields": [
      {"key": "customerName", "label": "Guest Name", "placement": "secondary", "type": "string", "required": true},
      {"key": "tier", "label": "Tier", "placement": "auxiliary", "default": "VIP"}],
    "barcode": {"format": "qr"}}'

# 2. A webhook endpoint; keep its secret to verify deliveries
SECRET=$(curl -sS --fail-with-body -H "X-API-Key: $ADMIN_KEY" -H 'content-type: application/json' \
  "$PASSFORGE_URL/v1/webhooks" -d '{"url": "'"$WEBHOOK_URL"'", "events": ["pass.created", "pass.updated"]}' \
  | jq -r .secret)

# 3. A pass with custom fields (a value, or {value, label} to relabel it)
ID=$(curl -sS --fail-with-body -H "X-API-Key: $API_KEY" -H 'content-type: application/json' \
  "$PASSFORGE_URL/v1/passes" -d '{"templateId": "vip-event-ticket",
    "customFields": {"customerName": {"value": "Ada Lovelace", "label": "GUEST"}, "tier": "Platinum"}}' \
  | jq -r .id)

# 4. Download the signed .pkpass
curl -sS --fail-with-body -H "X-API-Key: $API_KEY" -o ticket.pkpass "$PASSFORGE_URL/v1/passes/$ID/download"

# 5. A message on the lock screen of every device holding the pass
curl -sS --fail-with-body -H "X-API-Key: $API_KEY" -H 'content-type: application/json' \
  "$PASSFORGE_URL/v1/passes/$ID/push-notifications" -d '{"message": "Doors open at 19:00"}'
# quickstart:end

echo "$ID $SECRET" >&3
