let
  ops = "age1u5axmstarjg66m9z58fge4ws7vd4tkv2tsz540l4w6w6z0qwj43sd8g8mm";
  db = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4";
  web = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN";
in
{
  "services/prod/db/password.age".publicKeys = [ ops db ];
  "services/prod/web/session-secret.age".publicKeys = [ ops web ];
  "services/staging/web/session-secret.age".publicKeys = [ ops web ];
  "users/ops/hashed-password.age".publicKeys = [ ops ];
}
