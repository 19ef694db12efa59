# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = 'passforge'
  s.version = '0.1.0'
  s.summary = 'passforge API client on Ruby\'s standard library only'
  s.description = 'Apple Wallet passes and Google Wallet save links from templates: the passforge service\'s ' \
                  'operations (from its OpenAPI document), typed errors, retries, pagination and webhook verification.'
  s.authors = ['passforge']
  s.license = 'MIT'
  s.required_ruby_version = '>= 3.1'
  s.files = ['lib/passforge.rb', 'lib/passforge/operations.rb']
  s.require_paths = ['lib']
end
