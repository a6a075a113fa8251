# Test adapter: a good hello, then never answers.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"hangs","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
exec sleep 60
