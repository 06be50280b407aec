-- POST /jobs/cpu on the worker: small CPU jobs (5 units, about 5 ms each), the worker's load in the lab.
dofile((debug.getinfo(1, 'S').source:match('^@(.*/)') or './') .. 'report.lua')

wrk.method = 'POST'
wrk.body = '{"units":5}'
wrk.headers['Content-Type'] = 'application/json'
