-- POST /api/orders through the gateway. Every request is a new order with its own Idempotency-Key
-- (run id, thread, counter), for one unit of an in-stock product (p-001 to p-011 in turn), so a run of
-- any length stays far within the catalog's stock of 1,000,000 units per product.
dofile((debug.getinfo(1, 'S').source:match('^@(.*/)') or './') .. 'report.lua')

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set('thread_id', threads)
end

local run_id = 'bench'
local counter = 0
function init(args)
  run_id = args[1] or run_id
end

local body = '{"customer":{"email":"bench@example.com"},"items":[{"productId":"p-%03d","quantity":1}],' ..
  '"payment":{"card":{"number":"4242424242424242","expMonth":12,"expYear":2030,"cvc":"123"}}}'

function request()
  counter = counter + 1
  local headers = {
    ['Content-Type'] = 'application/json',
    ['Idempotency-Key'] = string.format('%s-%d-%d', run_id, thread_id, counter),
  }
  return wrk.format('POST', '/api/orders', headers, string.format(body, counter % 11 + 1))
end
