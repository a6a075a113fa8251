# Test adapter: the reference adapter (its path is the first argument), except that it never sees
# the administrator's cap (spec/expiry.md, EXP-014): every `cap` of an expiry.scenario request,
# initial or in a set_cap event, reaches it as null. Scenarios whose outcome depends on the cap
# fail; every other scenario passes.
sed -u 's/"cap":[0-9][0-9]*/"cap":null/g' | exec "$1"
