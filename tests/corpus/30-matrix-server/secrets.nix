# Secrets for a Conduit homeserver with a Heisenbridge IRC bridge.
let
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZjJUxmg1vhLPzJ4xQQ8CXtpyuUKs5HyyevgDz1ZgJe";
  vps_ssh = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDA0xVZGxZSDOTbyVHqqwCHPm34DguHwODLYtgEii9MC+Yy/7xcb9lSrhOt9iekgG98mknz4ksSlzj0XONa/hPC6W1juBqJSRbgt7V94eK7lKhqXdhi1XHbUsM5+3KRZXz+CAn+CGh1bSzdAYQTQfmhp87BgBGP7GNyy+fiVUljzQ3CEzvNiOrbcu35fX4Kgo9vKiGf9O59QVKdYgc43cQbuMzuzRZzLJFuvFjkCromB85LlEXfiR2diwo6EvDZTAGpxQIivjjVZmZpHywKs9yjt5UWNOyeOYwQLmKvtoR6Bl98Ihg5AtfiykeSLqUOchQNb2fJRWQxI76TZLymD9n/";
  vps_ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaaxZA5+fJUUK2QN6YONeGyE5hVNYcuav6fausuaZNW";
  server = [ vps_ssh vps_ed ];
in
{
  "heisenbridge-config.age".publicKeys = [ admin ] ++ server;
  "conduit-env.age".publicKeys = [ admin ] ++ server;
  "conduit-registration-token.age" = {
    publicKeys = [ admin vps_ed ];
    armor = true;
  };
}
