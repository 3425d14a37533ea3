#!/usr/bin/env bash
# Downloads the public data sets that tessera's data tests use, from their original sources,
# into the layout that TESSERA_DATA_DIR expects:
#
#   scripts/get_data.sh <dir>          then: export TESSERA_DATA_DIR=<dir>
#
# Needs curl or wget, unzip, gzip and sha256sum. About 110 MB is downloaded. Licenses:
# Fashion-MNIST MIT; Spambase and SMS Spam Collection CC BY 4.0 (UCI); scikit-learn's toy sets
# BSD-3-Clause; goodbooks-10k CC BY-SA 4.0. Not downloaded: fashion-mnist-ann/ (exact
# nearest-neighbour ground truth computed from Fashion-MNIST); tests that need it skip.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 <directory>" >&2
    exit 2
fi
mkdir -p "$1"
dest=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() { # fetch <url> <file>
    echo "  $1"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$2" "$1"
    else
        wget -q --tries=3 -O "$2" "$1"
    fi
}

echo "Fashion-MNIST (Zalando Research, MIT)"
mkdir -p "$dest/fashion-mnist"
fm_github=https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/b2617bb6d3ffa2e429640350f613e3291e10b141/data/fashion
fm_s3=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
while read -r sum file; do
    out="$dest/fashion-mnist/$file"
    fetch "$fm_github/$file" "$out" || fetch "$fm_s3/$file" "$out"
    echo "$sum  $out" | sha256sum -c --quiet -
done <<'EOF'
3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84 train-images-idx3-ubyte.gz
a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845 train-labels-idx1-ubyte.gz
346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073 t10k-images-idx3-ubyte.gz
67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5 t10k-labels-idx1-ubyte.gz
EOF

echo "Spambase (UCI dataset 94, CC BY 4.0)"
mkdir -p "$dest/spambase"
fetch https://archive.ics.uci.edu/static/public/94/spambase.zip "$tmp/spambase.zip"
unzip -q -o "$tmp/spambase.zip" -d "$tmp/spambase"
cp "$tmp/spambase/spambase.DOCUMENTATION" "$dest/spambase/"
# spambase.csv = a header line (the 57 attribute names from spambase.names, then "spam")
# followed by spambase.data unchanged.
names=$(tr -d '\r' <"$tmp/spambase/spambase.names" \
    | sed -n 's/^\([^|][^:]*\):[[:space:]]*continuous\.[[:space:]]*$/\1/p')
if [ "$(printf '%s\n' "$names" | wc -l)" -ne 57 ]; then
    echo "get_data: spambase.names does not list 57 attributes" >&2
    exit 1
fi
{ printf '%s\n' "$names" | paste -sd, - | sed 's/$/,spam/'; cat "$tmp/spambase/spambase.data"; } \
    >"$dest/spambase/spambase.csv"

echo "SMS Spam Collection (UCI dataset 228, CC BY 4.0)"
mkdir -p "$dest/sms-spam-collection"
fetch "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip" "$tmp/sms.zip"
unzip -q -o "$tmp/sms.zip" SMSSpamCollection -d "$tmp/sms"
tr -d '\r' <"$tmp/sms/SMSSpamCollection" >"$dest/sms-spam-collection/SMSSpamCollection"

echo "scikit-learn toy data sets (scikit-learn 1.2.1, BSD-3-Clause)"
mkdir -p "$dest/sklearn-toy"
sk=https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.2.1/sklearn/datasets
for f in iris.csv wine_data.csv breast_cancer.csv digits.csv.gz; do
    fetch "$sk/data/$f" "$dest/sklearn-toy/$f"
done
for f in iris.rst wine_data.rst breast_cancer.rst digits.rst; do
    fetch "$sk/descr/$f" "$dest/sklearn-toy/$f"
done

echo "goodbooks-10k (Zygmunt Zajac, CC BY-SA 4.0)"
mkdir -p "$dest/goodbooks-10k"
gb=https://raw.githubusercontent.com/zygmuntz/goodbooks-10k/6dd165b555a7b47b2dd36743a425776e641ff50c
for f in books.csv tags.csv ratings.csv; do
    fetch "$gb/$f" "$tmp/$f"
    gzip -9 -n -c "$tmp/$f" >"$dest/goodbooks-10k/$f.gz"
done
# All ratings of a random 5% of the users (the subset the tests use), as published in
# fant0md/minor-goodbooks-recommender (data/ratings_random.csv).
fetch https://raw.githubusercontent.com/fant0md/minor-goodbooks-recommender/ce265b34098759c3282d183617bf248516cd9c8f/data/ratings_random.csv \
    "$tmp/ratings_random.csv"
gzip -9 -n -c "$tmp/ratings_random.csv" >"$dest/goodbooks-10k/ratings_users5pct.csv.gz"

echo "Done. Now: export TESSERA_DATA_DIR=$dest"
