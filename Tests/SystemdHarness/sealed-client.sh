#!/bin/bash
# sealed-client.service (see run.sh): a service that gets its Fracttal pair through
# LoadCredentialEncrypted=sealed.cred:/etc/rotord/deliver/sealed.cred, a file rotord writes with
# format: credstore-encrypted. It asks the simulator for a token with the pair and records the
# key's first 4 characters and the HTTP status in /run/sealed-client.txt (never the secret); it
# fails unless the token was granted.
set -u
file=$CREDENTIALS_DIRECTORY/sealed.cred
key=$(sed -n 's/^FRACTTAL_CLIENT_ID=//p' "$file")
secret=$(sed -n 's/^FRACTTAL_CLIENT_SECRET=//p' "$file")
port=$(cat /etc/rotord/sim-port)
# The pair reaches curl on its standard input (-K -), not in its arguments.
status=$(printf 'user = "%s:%s"\n' "$key" "$secret" | curl -s -o /dev/null -w '%{http_code}' -K - \
    -d grant_type=client_credentials "http://127.0.0.1:$port/oauth/token")
echo "${key:0:4} $status" > /run/sealed-client.txt
[ "$status" = 200 ]
