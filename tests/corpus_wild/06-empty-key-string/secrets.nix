let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
  hasYubikey = false;
  yubikey = if hasYubikey then "age1dx7y2eda7dp5g259a4rkvfrql4kz5aa6p725q4afk2cvfduwxyaqjghu5c" else "";
  ci = "age1gwgz6wu0hp7kaxh2v7gnt79elvzf6zxff4n4y35lhqgmcf67fehs47fuwd";
in
{
  "deploy-key.age".publicKeys = [ alice yubikey ci ];
  "ci-token.age".publicKeys = [ ci "" ];
}
