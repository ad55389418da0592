let
  ops = "age1u5axmstarjg66m9z58fge4ws7vd4tkv2tsz540l4w6w6z0qwj43sd8g8mm";
  laptop = "age1dx7y2eda7dp5g259a4rkvfrql4kz5aa6p725q4afk2cvfduwxyaqjghu5c";
  legacy = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVzjx2Gdj4Yey4F/dqw1QNZ5ztaHzYoYyJtHZDu6c2X2ysnsdYwiPSu93G9XyNTrbLMQFEqk+5gaOo4ZxGcbSKGjamGakdwcuH3v8Ts5fFkDA4G4QPvVnlnZ8s0Tvvv4JWGwtpLVMdszCUT74KZlQf635at/Uld5ujy3+x+bUpKMpMTM2EBEnRpr6tyxjAdBEcYEFc2cIixXOhPlCGCdji1TWzjzpVARyiZuHHDJ26QuiVhU/fk7puKs68GeEyk6Xt0OlvjLrpoPyEDUAdH8NvfW9AVltXSDLvAuon5KYVlNUi9h4YVVWCn/YTzmOA/IHnHeib5bR82iEZoAfcwWYB legacy@example";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO bob@example";
in
{
  "mixed.age".publicKeys = [ ops laptop legacy bob ];
  "age-only.age".publicKeys = [ ops laptop ];
}
