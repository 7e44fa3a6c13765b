# The retrain worker (and gateway) image, built from the npm package exactly as a user installs it:
# stage 1 packs the package (`npm pack`, which compiles and prebuilds the workflow bundle), stage 2
# installs that tarball into an empty folder (`npm install ./temporal-retrain-<v>.tgz`), the same
# steps test/integration/package-install.test.ts runs. Debian-based: the Temporal core bridge ships
# glibc builds only.
FROM node:24-bookworm-slim AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /pkg

FROM node:24-bookworm-slim
# Training commands run in this image: python3 for scikit-learn trainers (add your packages in an image FROM this one).
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/temporal-retrain
COPY --from=pack /pkg/ /tmp/pkg/
RUN npm init -y >/dev/null && npm install --omit=dev --no-audit --no-fund /tmp/pkg/temporal-retrain-*.tgz && rm -rf /tmp/pkg
ENV PATH=/opt/temporal-retrain/node_modules/.bin:$PATH \
    RETRAIN_CONFIG=/project/retrain.config.yaml
# The project (retrain.config.yaml, model/, data/) is mounted here; its state folder must be writable by "node".
WORKDIR /project
USER node
CMD ["retrain", "worker"]
