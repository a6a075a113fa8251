# Test adapter: a good hello, then garbage in answer to every request.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"garbage","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
while read -r line; do
    echo "garbage, not JSON"
done
