# Test adapter: the reference adapter (its path is the first argument), except that it never sees
# a request's contentKey (the last argument of envelope.seal in the vectors), so it always draws
# its own content key: every seal vector fails, and the cross checks pass.
sed -u 's/,"contentKey":"[0-9a-f]*"//' | exec "$1"
